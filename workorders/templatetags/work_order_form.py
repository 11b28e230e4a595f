"""The work order change form's sections and its plannings table, the markup of the admin's
includes/fieldset.html and edit_inline/tabular.html written in Python (faster):
`{% work_order_fieldset fieldset index %}` and `{% tabular_inline inline_admin_formset last %}`."""

from django import template

from workorders.admin.fieldset_html import fieldset_html
from workorders.admin.inline_html import tabular_html

register = template.Library()


@register.simple_tag
def work_order_fieldset(fieldset, index):
    return fieldset_html(fieldset, index)


@register.simple_tag
def tabular_inline(inline_admin_formset, last):
    return tabular_html(inline_admin_formset, last=last)
