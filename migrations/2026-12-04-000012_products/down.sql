DROP TRIGGER products_counts ON products;
DROP FUNCTION products_counts();
DROP TABLE user_product_counts;
DROP TRIGGER product_images_release ON product_images;
DROP TRIGGER product_images_attach ON product_images;
DROP TABLE product_images, products;
