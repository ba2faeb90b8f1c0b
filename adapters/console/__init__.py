"""The terminal console: ``bizbot console --as HANDLE``; card buttons become numbered choices."""
