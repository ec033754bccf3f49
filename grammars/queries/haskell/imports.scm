; Imported modules (@module), for the domain marker.
(import module: (module) @module)
