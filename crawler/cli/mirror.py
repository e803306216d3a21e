"""`arshif mirror`: placeholder module, filled in by the mirror work."""
