; Imported module names (@module), for the domain marker.
(import_spec path: (interpreted_string_literal) @module)
