from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=N&page_size=M`. DRF takes a `page_size` it cannot read (`abc`, `-5`) for the
    default and an empty `page=` for the first: here the first is a 400 naming `page_size`,
    the second a 404 like any other page that is not one, so a client's mistake is not
    answered with rows it did not ask for."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None:
            try:
                size = int(raw)
            except ValueError:
                size = 0
            if size < 1:
                raise ValidationError(
                    {self.page_size_query_param: ["Give a whole number, 1 or more."]}
                )
        return super().get_page_size(request)

    def get_page_number(self, request, paginator):
        if request.query_params.get(self.page_query_param) == "":
            raise NotFound(self.invalid_page_message)
        return super().get_page_number(request, paginator)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = (
                    f"Rows a page, {self.page_size} by default; more than "
                    f"{self.max_page_size} reads as {self.max_page_size}."
                )
        return parameters
