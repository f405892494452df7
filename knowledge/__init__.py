"""The front office's knowledge: catalogue (PDC), top-ten FAQ, queues, SLA classes.

Knowledge lives in YAML files that front-office admins edit (``knowledge/default``
ships the sample organisation). ``load_knowledge`` validates a folder and returns
an immutable ``Knowledge`` with its matcher index; ``KnowledgeHolder`` reloads it
when the files change. This package never imports the Bot Framework SDK.
"""
