"""CDS Hooks 2.0 (order-select, order-sign) over FHIR R4, beside the gRPC service, on the same engine."""
