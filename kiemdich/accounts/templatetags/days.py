"""{% day_input "date_from" value "f-from" %}: a date typed as dd/mm/yyyy (core.forms)."""

from django import template

from kiemdich.core.forms import day_input as render_day_input

register = template.Library()


@register.simple_tag
def day_input(name: str, value: object, element_id: str = "") -> str:
    return render_day_input(name, value, element_id)
