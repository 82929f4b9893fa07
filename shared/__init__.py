"""Code both services use. Imports neither `panda_portal` nor `support_community`."""
