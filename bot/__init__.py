"""The Teams edge: the aiohttp app, Bot Framework authentication and activity routing.

The only package that imports the Bot Framework SDK (botbuilder). It turns
activities into calls on ``dialogs`` and ``servicedesk`` and their results back
into activities, so that moving to the Microsoft 365 Agents SDK touches this
package alone.
"""
