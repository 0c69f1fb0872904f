"""The staff UI shell: layout, navigation, the audience and event pages, error pages."""
