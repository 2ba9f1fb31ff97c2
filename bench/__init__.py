"""dosecheck's benchmarks: the engine, the unary service and audits against their speed goals and ceilings."""
