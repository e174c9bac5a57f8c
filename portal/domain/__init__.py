"""Pure domain logic (no I/O): canary progress, action rules, DORA maths, cost allocation."""
