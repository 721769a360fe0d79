"""Browser tests of the built site (headless Chromium via Playwright); see conftest.py."""
