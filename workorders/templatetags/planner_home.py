"""`{% planner_home as home %}`: the planner's home figures (workorders.admin.home) in the admin's
index template, which Django's AdminSite renders without a hook for extra context."""

from django import template

from workorders.admin.home import planner_home as home_figures

register = template.Library()


@register.simple_tag(takes_context=True)
def planner_home(context):
    request = context.get("request")
    if request is None or not request.user.has_perm("workorders.view_workorder"):
        return None
    return home_figures(request)
