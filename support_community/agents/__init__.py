"""The support agents' workspace: pages (views, forms, templates) over the cases services."""
