"""The viewer in a browser tab, for machines without a display: ``play.py RUN --web`` (``pixelarena play RUN --web``).

The game loop and the network stay in Python, in one :class:`~pixelarena.agents.viewer.viewer.Viewer` (the very
frames, panel and overlays of the pygame window); the page draws the frames it is sent and sends keys and clicks
back. Modules, one job each:

- ``protocol``: a frame and its facts as one WebSocket message, and browser key names -> the viewer's key names;
- ``hub``: the thread that owns the viewer: applies input, steps the game at the chosen speed, makes frames;
- ``follow``: reloads the newest checkpoint of a run still training (safetensors only: nothing is executed);
- ``server``: the aiohttp server (the page, its WebSocket, a status endpoint), the token, the port;
- ``launch``: a run's agent or a game played by a person, served;
- ``index.html``: the page, plain JavaScript with no build step, nothing fetched from elsewhere.

Needs the ``web`` extra (``pip install 'pixelarena[web]'``): aiohttp.
"""
