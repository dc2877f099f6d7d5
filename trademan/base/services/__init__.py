"""All writes of the Base and the rules they enforce (admin forms and the API call these)."""
