"""What the bot does, channel-neutral: no telegram, sqlalchemy, aiohttp or apscheduler here."""
