"""Sample files shipped with the package (the demo and the tests read them)."""
