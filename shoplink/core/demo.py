"""The demo's fixed login (demo only; printed by ``shoplink demo``). No Django imports here."""

DEMO_USER = "admin"
DEMO_PASSWORD = "shoplink-demo"
DEMO_PROJECT_SLUG = "demo"
