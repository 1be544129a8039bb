"""Word out: the template context and fields, rendering, the scale picture and PDF copies."""
