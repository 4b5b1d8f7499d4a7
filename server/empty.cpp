// Keeps pkiserver a valid library while the server grows.
