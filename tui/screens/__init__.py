"""Screens pushed over the main one: dialogs, forms, help, the playground."""
