"""Pure rules of the medallion, no I/O: the event schemas, DLT-style expectations, what makes an
interaction (greeting, question, brand, fusion, alignment) and transcript sentiment."""
