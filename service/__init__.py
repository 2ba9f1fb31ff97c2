"""dosecheck's gRPC service: settings, proto <-> domain conversion, servicer, server and CLI."""
