; Imported module names (@module), for the domain marker.
(import_declaration (scoped_identifier) @module)
(import_declaration (identifier) @module)
