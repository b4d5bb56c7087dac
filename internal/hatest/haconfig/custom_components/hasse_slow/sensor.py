"""The garage sensors of the slow integration."""

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorStateClass,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType


async def async_setup_platform(
    hass: HomeAssistant,
    config: ConfigType,
    async_add_entities: AddEntitiesCallback,
    discovery_info: DiscoveryInfoType | None = None,
) -> None:
    """Add the garage sensors."""
    async_add_entities(
        [
            GarageSensor("Garage power", "hasse_slow_garage_power", 412.0, "W", SensorDeviceClass.POWER),
            GarageSensor("Garage temperature", "hasse_slow_garage_temperature", 11.5, "°C", SensorDeviceClass.TEMPERATURE),
            GarageSensor("Garage humidity", "hasse_slow_garage_humidity", 64.0, "%", SensorDeviceClass.HUMIDITY),
        ]
    )


class GarageSensor(SensorEntity):
    """A sensor with a fixed value."""

    _attr_should_poll = False
    _attr_state_class = SensorStateClass.MEASUREMENT

    def __init__(self, name, unique_id, value, unit, device_class) -> None:
        self._attr_name = name
        self._attr_unique_id = unique_id
        self._attr_native_value = value
        self._attr_native_unit_of_measurement = unit
        self._attr_device_class = device_class
