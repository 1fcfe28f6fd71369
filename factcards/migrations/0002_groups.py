"""Create the Reporters and Editors groups with the permissions their work needs."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

REPORTER = [
    "view_factcard", "add_factcard", "change_factcard",
    "view_citation", "add_citation", "change_citation", "delete_citation",
    "view_source", "add_source", "change_source",
    "view_topic", "add_topic", "view_place", "add_place",
    "view_correction",
    "view_historicalfactcard", "view_historicalsource", "view_historicalcitation",
]
EDITOR = REPORTER + [
    "publish_factcard", "delete_factcard",
    "delete_source", "change_topic", "change_place",
    "change_correction",
]
GROUPS = {"Reporters": REPORTER, "Editors": EDITOR}


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations ran; this one needs them now.
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        # Put back what was there: the test fixture passes the real registry, where None
        # would hide every model from dumpdata and flush for the rest of the session.
        app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        perms = Permission.objects.filter(content_type__app_label="factcards", codename__in=codenames)
        missing = set(codenames) - set(perms.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"Missing permissions for {name}: {sorted(missing)}")
        group.permissions.set(perms)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("factcards", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
