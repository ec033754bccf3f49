; Commands a script runs (@module), for the domain marker.
(command name: (command_name) @module)
