"""Server-rendered pages (the mentor's page); the JSON API lives in mentoring.apis."""
