; Required libraries (@module), for the domain marker.
((call method: (identifier) @_fn arguments: (argument_list (string (string_content) @module))) (#match? @_fn "^require"))
