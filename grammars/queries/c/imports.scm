; Included headers (@module), for the domain marker.
(preproc_include path: (_) @module)
