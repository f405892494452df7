"""Adapters from the core's back-office port to real back offices.

Planned (the ticket issue): the built-in queue with Adaptive Cards in the queue's
Teams channel, and TOPdesk's incident REST API. The port itself will live in the
core (``servicedesk``); this package implements it and is the only place that
talks to a back office.
"""
