"""dosecheck's protobuf contract and its generated Python modules."""
