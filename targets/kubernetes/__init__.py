"""One Kubernetes layer for every app: connecting to a target's cluster (client), its failures as our own error
(errors), and kubectl's algorithms on the objects it answers with (kubectl).

The kubernetes client costs a web worker ~25 MiB and only workers need it, so client.py is imported on use and
this package imports nothing on its own."""
