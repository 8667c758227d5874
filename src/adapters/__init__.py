"""One package per technology, each implementing an application port."""
