"""Forms for the project pages: new project, invite, role change, sign-up from an invite."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserCreationForm

from shoplink.projects.models import Role


class ProjectForm(forms.Form):
    name = forms.CharField(max_length=200, label="Project name")


class InviteForm(forms.Form):
    email = forms.EmailField(max_length=320, label="Email")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VIEWER, label="Role")


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices, label="Role")


class SignUpForm(UserCreationForm):
    """A new account for someone accepting an invitation (their email is the invited one)."""

    class Meta(UserCreationForm.Meta):
        fields = ("username",)
