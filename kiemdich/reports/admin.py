from django.contrib import admin

from kiemdich.reports.models import ViolationCategory


@admin.register(ViolationCategory)
class ViolationCategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "legal_reference", "title", "fine_min", "fine_max", "active")
    list_filter = ("active",)
    search_fields = ("code", "legal_reference", "title")
