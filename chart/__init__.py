"""Into the chart: patient matching, FHIR R4 and HL7 v2 MDM builders, export
destinations (outbox folder, FHIR server, MLLP) and the export status per destination."""
