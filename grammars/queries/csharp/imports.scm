; Imported namespaces (@module), for the domain marker.
(using_directive (qualified_name) @module)
(using_directive (identifier) @module)
