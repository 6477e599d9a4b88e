"""The read-only JSON API (``aispend api serve``): routes in ``app``, every warehouse read in
``reads``."""
