"""The app's endpoints, one module per noun; `ROUTES` is the whole list, in order."""
