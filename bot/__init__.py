"""POS Dispute Assistant runtime: settings, storage, transports, documents, OCR, `python -m bot`."""
