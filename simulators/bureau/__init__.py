"""Justice-bureau community-correction intake stand-in (SOAP 1.1)."""
