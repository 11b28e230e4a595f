"""`{% work_order_fieldset fieldset index %}`: a section of the work order change form, the
markup of the admin's includes/fieldset.html written by workorders.admin.fieldset_html (faster)."""

from django import template

from workorders.admin.fieldset_html import fieldset_html

register = template.Library()


@register.simple_tag
def work_order_fieldset(fieldset, index):
    return fieldset_html(fieldset, index)
