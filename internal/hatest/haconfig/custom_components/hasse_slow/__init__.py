"""An integration that takes its time, as a cloud integration on a slow link does.

It stands for the integrations of a real home that are still loading when Home Assistant's
WebSocket API already answers. setup_delay holds up the set-up of every integration after the
frontend (Home Assistant serves HTTP, get_config says NOT_RUNNING, and get_states lacks the
garage sensors); entity_delay adds the garage sensors that much later in the background, after
Home Assistant is RUNNING (meanwhile the entity registry shows them as unavailable placeholders
with restored: true). Both are seconds, 0 by default, set through environment variables by the
test helper.
"""

import asyncio

import voluptuous as vol

from homeassistant.core import HomeAssistant
from homeassistant.helpers.discovery import async_load_platform
from homeassistant.helpers.typing import ConfigType

DOMAIN = "hasse_slow"

CONFIG_SCHEMA = vol.Schema(
    {
        DOMAIN: vol.Schema(
            {
                vol.Optional("setup_delay", default=0): vol.Coerce(float),
                vol.Optional("entity_delay", default=0): vol.Coerce(float),
            }
        )
    },
    extra=vol.ALLOW_EXTRA,
)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Wait setup_delay, then add the sensors entity_delay later."""
    conf = config[DOMAIN]
    await asyncio.sleep(conf["setup_delay"])

    async def add_sensors() -> None:
        await asyncio.sleep(conf["entity_delay"])
        await async_load_platform(hass, "sensor", DOMAIN, {}, config)

    if conf["entity_delay"] > 0:
        hass.async_create_background_task(add_sensors(), "hasse_slow sensors")
    else:
        await add_sensors()
    return True
