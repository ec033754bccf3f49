; Imported namespaces and required files (@module), for the domain marker.
(namespace_use_clause (qualified_name) @module)
(require_once_expression (string (string_content) @module))
(require_expression (string (string_content) @module))
