"""Integrations page, store cards and drawers (htmx). HTTP ends here: views call services."""

from __future__ import annotations

from django.shortcuts import render

from shoplink.integrations.shopify.models import ShopifyStore
from shoplink.projects.models import Role
from shoplink.projects.permissions import project_role_required


@project_role_required(Role.ADMIN)
def integrations(request):
    stores = ShopifyStore.objects.filter(project=request.project).order_by("created_at")
    return render(request, "shopify/integrations.html", {"stores": stores, "nav": "integrations"})
