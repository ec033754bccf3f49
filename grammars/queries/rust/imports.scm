; Imported module names (@module), for the domain marker.
(use_declaration argument: (_) @module)
(extern_crate_declaration name: (identifier) @module)
