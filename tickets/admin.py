from django.contrib import admin

from tickets.models import Customer, TeamNumber, Ticket


@admin.register(TeamNumber)
class TeamNumberAdmin(admin.ModelAdmin):
    list_display = ("number", "team")
    search_fields = ("number", "team__name", "team__organization__name")


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "mobile_phone", "organization", "opted_out_at")
    search_fields = ("name", "mobile_phone")


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("pk", "customer", "team", "status", "last_activity_at")
    list_filter = ("status",)
