; Imported module names (@module), for the domain marker.
(import_statement source: (string (string_fragment) @module))
((call_expression function: (identifier) @_fn arguments: (arguments (string (string_fragment) @module))) (#eq? @_fn "require"))
