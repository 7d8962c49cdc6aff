"""Demo data for `manage.py seed_demo`: content (stores, categories, products) and
product pictures drawn with Pillow. Nothing here is used by the running site."""
